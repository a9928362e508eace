-- Issue 21: an alert email's "I'm on it" link (signed with the delivery's id)
-- answers once; using it again changes nothing.
CREATE TABLE answer_links_used (
    delivery_id uuid PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    used_at     timestamptz NOT NULL
);
