/**
 * What the store refuses, as its own errors: the schema maps them to GraphQL answers
 * (server/schema/errors.ts), so nothing below the schema speaks GraphQL.
 */
export class StoreError extends Error {}

/** Nothing of this user's has this id: the same whether it exists for someone else or not. */
export class NotFound extends StoreError {
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`No ${what} with id "${id}".`);
  }
}

/** A notification names a recipient that does not exist. */
export class NoSuchRecipient extends StoreError {
  constructor(readonly recipientId: string) {
    super(`no user with id "${recipientId}".`);
  }
}

/** An action id the notification does not offer. */
export class UnknownAction extends StoreError {
  constructor(
    readonly notificationId: string,
    readonly actionId: string,
  ) {
    super(`notification "${notificationId}" has no action "${actionId}".`);
  }
}
