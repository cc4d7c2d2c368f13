#!/usr/bin/env python3
"""A FUSE file system that stops answering, like an NFS server that is gone.

Usage: stall_fs.py MOUNTPOINT CONTENT_FILE read|getattr NAME...

It serves files NAME... with CONTENT_FILE's bytes. With `read`, listing and stat answer but
every read of a file sleeps forever; with `getattr`, looking a file up sleeps forever.
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
    def __init__(self, names, size, mode):
        self.names = ['/' + name for name in names]
        self.size = size
        self.mode = mode
        self.forever = threading.Event()  # never set

    def getattr(self, path, fh=None):
        if path == '/':
            return {'st_mode': stat.S_IFDIR | 0o755, 'st_nlink': 2}
        if path not in self.names:
            raise FuseOSError(errno.ENOENT)
        if self.mode == 'getattr':
            self.forever.wait()
        return {'st_mode': stat.S_IFREG | 0o444, 'st_nlink': 1, 'st_size': self.size}

    def readdir(self, path, fh):
        return ['.', '..'] + [name[1:] for name in self.names]

    def open(self, path, flags):
        return 0

    def read(self, path, size, offset, fh):
        self.forever.wait()
        return b''


def main():
    mountpoint, content_file, mode, *names = sys.argv[1:]
    size = os.path.getsize(content_file)
    # nothreads=False: each request has its own thread, so one stalled read does not stop
    # the file system from answering the unmount.
    FUSE(Stall(names, size, mode), mountpoint, foreground=True, nothreads=False,
         allow_other=False, direct_io=True)


if __name__ == '__main__':
    main()
