// Typed failures of the bucket client. `reason` is what a controller puts on FetchFailed;
// messages never carry credentials (the client scrubs them before building an error).

export type BucketErrorReason =
  | 'BucketNotFound'
  | 'AuthenticationFailed'
  | 'Unreachable'
  | 'TooLarge'
  | 'IllegalPath'
  | 'InvalidEndpoint'
  | 'BucketOperationFailed';

export class BucketError extends Error {
  readonly reason: BucketErrorReason;

  constructor(reason: BucketErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BucketError';
    this.reason = reason;
  }
}

export class BucketNotFound extends BucketError {
  constructor(bucket: string, options?: ErrorOptions) {
    super('BucketNotFound', `bucket '${bucket}' not found`, options);
    this.name = 'BucketNotFound';
  }
}

export class AuthenticationFailed extends BucketError {
  constructor(message: string, options?: ErrorOptions) {
    super('AuthenticationFailed', message, options);
    this.name = 'AuthenticationFailed';
  }
}

export class Unreachable extends BucketError {
  constructor(message: string, options?: ErrorOptions) {
    super('Unreachable', message, options);
    this.name = 'Unreachable';
  }
}

export class TooLarge extends BucketError {
  constructor(message: string, options?: ErrorOptions) {
    super('TooLarge', message, options);
    this.name = 'TooLarge';
  }
}

export class IllegalPath extends BucketError {
  readonly key: string;

  constructor(key: string, why: string) {
    super('IllegalPath', `object key ${JSON.stringify(key)} is not a safe relative path: ${why}`);
    this.name = 'IllegalPath';
    this.key = key;
  }
}

export class InvalidEndpoint extends BucketError {
  constructor(message: string) {
    super('InvalidEndpoint', message);
    this.name = 'InvalidEndpoint';
  }
}

export class BucketOperationFailed extends BucketError {
  constructor(message: string, options?: ErrorOptions) {
    super('BucketOperationFailed', message, options);
    this.name = 'BucketOperationFailed';
  }
}
