ALTER TABLE emails DROP COLUMN attachment_ref;
DROP INDEX emails_message_id_idx;
ALTER TABLE timeline_entries DROP COLUMN ref;
DROP TABLE intake_items;
DROP TABLE inbound_message_chunks;
DROP TABLE inbound_messages;
DROP TABLE mailboxes;
