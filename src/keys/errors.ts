import { CustodyError } from '../core/errors.js';

/** The keys cannot be used: the message says what to do. */
export class KeysError extends CustodyError {
  override name = 'KeysError';
  constructor(message: string) {
    super('keys-invalid', 'invalid', message);
  }
}
