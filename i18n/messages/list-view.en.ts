// The exchange list's columns added for agent work (ExchangeList.tsx): the client that sent a
// call, its session, why it failed, its cost, sorting, how many match (FilterBar and list).

export const listViewEn = {
  client: 'client',
  clientTitle: 'the app that sent it, from its User-Agent and client headers',
  session: 'session',
  sessionTitle: 'session {{key}}: click to list only its calls',
  cost: 'cost',
  costTitle: 'cost of the call: the provider’s own figure, ~ estimated from a price table, or why it is unknown',
  reason: 'state / reason',
  tokensTitle: 'input/output tokens as the provider reported them, + cache read: click in or out to sort by it',
  tokensIn: 'in',
  tokensInTitle: 'input tokens',
  tokensOut: 'out',
  tokensOutTitle: 'output tokens',
  timeTitle: 'start time, newest first',
  sizeTitle: 'response size',
  sortedBy: 'sorted by {{what}}, largest first: click again for newest first',
  sortLabel: 'sort the list',
  newestFirst: 'newest first',
  sortBy: {
    time: 'by start time',
    tokens_in: 'by input tokens',
    tokens_out: 'by output tokens',
    ttft: 'by time to first token',
    duration: 'by duration',
    size: 'by response size',
  },
  count_one: '{{formatted}} exchange',
  count_other: '{{formatted}} exchanges',
  countShown: '{{count}} exchanges, {{shown}} loaded so far',
};

export type ListViewMessages = typeof listViewEn;
