DROP TABLE scheduled_updates;
