import { stat } from 'node:fs/promises';
import type { DumpFiles } from '../platform';
import { readWatchIndex } from '../timeline/captureStore';
import { listDumpFiles, readDump } from './dumpFile';

/** Dump files on this machine's disk, keyed by path: the Node host's (and the tests') DumpFiles. */
export const nodeDumpFiles: DumpFiles = {
  read: readDump,
  list: async (folder) => listDumpFiles(folder),
  stat: async (file) => {
    const st = await stat(file).catch(() => undefined);
    return st && { size: st.size, mtime: st.mtimeMs };
  },
  readWatchIndex: async (folder) => readWatchIndex(folder),
};
