// Types for scripts/provision-code-server.mjs, so the TypeScript e2e harness can import it.
export declare const CODE_SERVER_VERSION: string;
export declare const NODE_SPEC: string;
export declare const repoRoot: string;
export declare const cacheDir: string;
export declare function run(cmd: string, args: string[], opts?: import('node:child_process').SpawnOptions): Promise<string>;
export declare function provisionCodeServer(): Promise<{
  nodeBin: string;
  codeServerBin: string;
  codeServerEntry: string;
}>;
export declare function codeServerConfigFile(): string;
export declare function codeServerArgs(o: { port: number; userDataDir: string; extensionsDir: string; folder: string; workspaceTrust?: boolean }): string[];
export declare function packageExtension(opts?: { quiet?: boolean; force?: boolean }): Promise<{ vsix: string; packaged: boolean }>;
export declare function installVsix(where: { vsix: string; userDataDir: string; extensionsDir: string }): Promise<boolean>;
