// Why a replay is not sent: said to the user as it is (API answer, CLI error).
export class ReplayRefused extends Error {
  constructor(
    message: string,
    /** Headers whose real value is needed and not in memory: the user must give them. */
    readonly missingSecrets: string[] = [],
  ) {
    super(message);
  }
}
