import { PhraseError } from '../i18n/stored-text.ts';

/** The CA cannot be used or made (a file of another user's, a damaged key): one line naming the fix. Apart from certs/ca.ts so that cli.ts can name it without loading node-forge. */
export class CaError extends PhraseError {}
