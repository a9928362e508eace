-- Foundation: extensions the schema relies on.
-- citext: email addresses compare case-insensitively (accounts, invites).
CREATE EXTENSION IF NOT EXISTS citext;
