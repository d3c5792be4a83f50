import type { Answer, ModelCall, Turn, Usage } from './model-call.ts';

/** What every dialect reads from a request body. */
export interface RequestFacts {
  model: string | null;
  stream: boolean;
  inputCount: number | null;
  system: string | null;
  tools: string[];
  conversation: Turn[];
}

/** What every dialect rebuilds from a response, streamed or not. */
export interface Rebuilt {
  respondedModel: string | null;
  /** The provider's id for this response, where the dialect has one that later calls refer to. */
  responseId?: string;
  answer: Answer;
  /** Present when there was more than one choice (candidate); `answer` is the first. */
  choices?: Answer[];
  usage: Usage;
  usageAsSent?: unknown;
  /** Offset of the first content in the stream; null when not streamed. */
  firstContentMs: number | null;
  ending: ModelCall['ending'];
  endingReason: string | null;
}
