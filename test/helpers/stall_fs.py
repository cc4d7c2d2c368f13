#!/usr/bin/env python3
"""A FUSE file system that stops answering, like an NFS server that is gone.

Usage: stall_fs.py MOUNTPOINT MODE NAME=CONTENT_FILE...

It serves each file NAME with CONTENT_FILE's bytes. MODE says what never answers:
  read      listing and stat answer, but every read of a file sleeps forever;
  getattr   looking a file up sleeps forever;
  after:N   reads that start before byte N answer, later ones sleep forever (a mount that
            stops answering in the middle of a file).
It runs in the foreground until it is unmounted (fusermount3 -u) or killed. Needs Debian's
python3-fusepy and fuse3, and /dev/fuse.
"""
import errno
import os
import stat
import sys
import threading

from fusepy import FUSE, FuseOSError, Operations


class Stall(Operations):
    def __init__(self, files, mode):
        self.files = {'/' + name: content for name, content in files.items()}
        self.mode = mode
        self.answered = int(mode.split(':')[1]) if mode.startswith('after:') else 0
        self.forever = threading.Event()  # never set

    def getattr(self, path, fh=None):
        if path == '/':
            return {'st_mode': stat.S_IFDIR | 0o755, 'st_nlink': 2}
        if path not in self.files:
            raise FuseOSError(errno.ENOENT)
        if self.mode == 'getattr':
            self.forever.wait()
        size = os.path.getsize(self.files[path])
        return {'st_mode': stat.S_IFREG | 0o444, 'st_nlink': 1, 'st_size': size}

    def readdir(self, path, fh):
        return ['.', '..'] + [name[1:] for name in self.files]

    def open(self, path, flags):
        return 0

    def read(self, path, size, offset, fh):
        if offset >= self.answered:
            self.forever.wait()
        with open(self.files[path], 'rb') as content:
            content.seek(offset)
            return content.read(size)


def main():
    mountpoint, mode, *pairs = sys.argv[1:]
    files = dict(pair.split('=', 1) for pair in pairs)
    # nothreads=False: each request has its own thread, so one stalled read does not stop
    # the file system from answering the unmount.
    FUSE(Stall(files, mode), mountpoint, foreground=True, nothreads=False,
         allow_other=False, direct_io=True)


if __name__ == '__main__':
    main()
