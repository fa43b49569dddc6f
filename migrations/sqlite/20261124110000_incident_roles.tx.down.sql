DROP TABLE incident_roles;
