// A thread of a threaded run (threads.ts): its share of the files, with the main thread answering
// which of its vectors' ids are not unique.

import { parentPort, workerData } from 'node:worker_threads';
import { share, type ShareData } from './threads.ts';

const port = parentPort!;
try {
  const part = await share(
    workerData as ShareData,
    (ids) =>
      new Promise((resolve) => {
        port.once('message', (dup: string[]) => resolve(new Set(dup)));
        port.postMessage({ kind: 'ids', ids });
      }),
  );
  port.postMessage({ kind: 'part', part });
} catch (e) {
  port.postMessage({
    kind: 'failed',
    message: e instanceof Error ? (e.stack ?? e.message) : String(e),
  });
}
