-- "(sent again)" (issue 16, item 8): a delivery taken over after its worker's
-- lease ran out while it was being handed over may have reached the person
-- already; its next try says so. Set when a claim finds the row still 'sending'.
ALTER TABLE deliveries ADD COLUMN maybe_sent boolean NOT NULL DEFAULT false;
