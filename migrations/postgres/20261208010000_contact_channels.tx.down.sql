ALTER TABLE intake_items DROP COLUMN forwarded_to;
ALTER TABLE intake_items DROP COLUMN customer_chosen;
ALTER TABLE customers DROP COLUMN oncall_url;
DROP INDEX customer_contacts_phone_key_idx;
ALTER TABLE customer_contacts DROP COLUMN preferred_channel;
ALTER TABLE customer_contacts DROP COLUMN phone_key;
ALTER TABLE customer_contacts DROP COLUMN phone;
