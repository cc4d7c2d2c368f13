// What the extension tells the language server when it starts it (the initialization options),
// from the extension's settings. No VS Code API here, so that it is tested on its own.

/** Reads one `netspec.*` setting, as `WorkspaceConfiguration.get` does. */
export type Setting = (key: string) => unknown;

export interface InitializationOptions {
  /** Whether documents may make the server read files outside the workspace folders. */
  readOutsideWorkspace: boolean;
}

export function initializationOptions(setting: Setting): InitializationOptions {
  return { readOutsideWorkspace: setting('readOutsideWorkspace') === true };
}

/** Settings whose change restarts the server (it reads them once, when it starts). */
export const RESTARTING_SETTINGS = ['netspec.server.path', 'netspec.readOutsideWorkspace'];
