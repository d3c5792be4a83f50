// The storage worker with an understanding that takes 150 ms per finished exchange: storage made
// the slower side for sure, whatever the machine, to see how it says it is behind.
import { setUnderstanding } from '../../db/writer-worker.ts';

setUnderstanding(() => {
  const until = Date.now() + 150;
  while (Date.now() < until);
  return null;
});
