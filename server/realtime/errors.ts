/**
 * The realtime core's own refusals. They say what happened in realtime's terms; the schema
 * (schema/errors.ts) turns them into the GraphQL errors clients see. Realtime never imports graphql.
 */

/** A user's open streams (and single-connection reservations) fill every slot they may have. */
export class TooManyStreams extends Error {
  override name = 'TooManyStreams';
  constructor(readonly limit: number) {
    super(`At most ${limit} open streams per user.`);
  }
}
