DROP TABLE update_templates;
