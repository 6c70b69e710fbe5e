-- API keys gained permissions (scopes): a key without them acts as its owner only. Every key made
-- before could notify anyone and read stream statistics; the keys an operator made for the
-- built-in service user (`tidings api-key create` without --user) keep those powers. Keys owned
-- by ordinary users may have been made by the users themselves, so they become plain keys: make
-- a new one with `tidings api-key create --user …` where an operator key is meant.
UPDATE apikey
SET permissions = '{"notify":["any"],"stats":["read"]}'
WHERE permissions IS NULL
  AND "referenceId" IN (SELECT id FROM "user" WHERE email = 'service@tidings.local');
