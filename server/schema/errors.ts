import { GraphQLError } from 'graphql';
import { TooManyStreams } from '../realtime/errors.ts';
import { NoSuchRecipient, NotFound, UnknownAction } from '../store/errors.ts';

/** No session and no API key: the client must sign in (HTTP 401 where a status can be set). */
export function unauthenticated(message = 'Sign in or send an API key (x-api-key) to use this operation.') {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/** Signed in, but this viewer may not do this. */
export function forbidden(message: string) {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

/** Nothing the viewer may see has this id: the same answer whether it exists for someone else or not. */
export function notFound(what: string, id: string) {
  return new GraphQLError(`No ${what} with id "${id}".`, { extensions: { code: 'NOT_FOUND' } });
}

/** Input that breaks a rule; `field` names the input field, so forms can show it in place. */
export function badUserInput(field: string, message: string) {
  return new GraphQLError(`${field}: ${message}`, { extensions: { code: 'BAD_USER_INPUT', field } });
}

/** The GraphQL error a refusal of the store (server/store/errors.ts) answers as; anything else as it is. */
export function answerOf(error: unknown): unknown {
  if (error instanceof NotFound) return notFound(error.what, error.id);
  if (error instanceof NoSuchRecipient) return badUserInput('recipientId', error.message);
  if (error instanceof UnknownAction) return badUserInput('actionId', error.message);
  return error;
}

/** A store write whose refusals answer as GraphQL errors (see answerOf). */
export function answerStoreErrors<T>(write: Promise<T>): Promise<T> {
  return write.catch((error: unknown) => {
    throw answerOf(error);
  });
}

/**
 * A request whose GraphQL parameters cannot be read (HTTP 400), in the shape of Yoga's own
 * BAD_REQUEST answers; `field` names the parameter (query, variables, operationName, extensions).
 */
export function badRequest(field: string, message: string) {
  return new GraphQLError(`${field}: ${message}`, {
    extensions: { code: 'BAD_REQUEST', field, http: { status: 400 } },
  });
}

/** A user's stream slots are all taken (TIDINGS_MAX_STREAMS_PER_USER): HTTP 429. */
export function tooManyStreams(refused: TooManyStreams) {
  return new GraphQLError(refused.message, { extensions: { code: 'TOO_MANY_STREAMS', http: { status: 429 } } });
}

/** The realtime core's refusals as the GraphQL errors clients see; anything else unchanged (and masked). */
export function fromRealtime(error: unknown): unknown {
  return error instanceof TooManyStreams ? tooManyStreams(error) : error;
}
