-- Issue 17: adding a number must not reveal whether it already uses Pruuf.
--
-- A number can now be waiting for a YES from several people at once, but held
-- (confirmed, opted out, or unusable) by one only. When someone adds a number
-- another person holds, they get the same answer as anyone ("we texted it,
-- reply YES"), but their row is kept with `asked = false`: nothing is texted,
-- no YES can confirm it, and it lapses like any unconfirmed number. When a
-- number is claimed by a YES (or a STOP), every other waiting row for it stops
-- being asked. Who answers for a number is app/src/notify/outbox.rs's
-- NUMBER_HOLDER.
ALTER TABLE phones DROP CONSTRAINT phones_number_key;
CREATE UNIQUE INDEX phones_one_holder ON phones (number) WHERE status <> 'pending';
CREATE INDEX phones_by_number ON phones (number, added_at);
-- Whether our "reply YES" text went to this row's number for this person.
ALTER TABLE phones ADD COLUMN asked boolean NOT NULL DEFAULT true;
-- The order numbers were added in (a clock can give two the same instant): the
-- phone's YES goes to the last person who asked.
CREATE SEQUENCE phone_adds;
ALTER TABLE phones ADD COLUMN added_seq bigint NOT NULL DEFAULT nextval('phone_adds');

COMMENT ON TABLE phone_verify_texts IS
    'Each time someone asked to confirm a number (texted, or held by another and not texted): the per-person and per-number daily caps count these, so a held number answers exactly like a free one.';
