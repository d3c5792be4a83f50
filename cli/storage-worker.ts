// The storage worker as wirelog runs it: db/'s writer thread, understanding each finished
// exchange with llm/ (model-call columns, thread, diagnosis), so that db/ needs no llm/.
import { setUnderstanding } from '../db/writer-worker.ts';
import { understandEnded } from '../llm/stored-calls.ts';

setUnderstanding(understandEnded);
