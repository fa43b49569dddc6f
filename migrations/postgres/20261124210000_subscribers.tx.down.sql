DROP INDEX emails_subscriber_idx;
DROP TABLE subscribe_limits;
DROP TABLE subscriber_components;
DROP TABLE subscriber_groups;
DROP TABLE subscribers;
