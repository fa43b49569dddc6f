DROP TABLE incident_customers;
DROP TABLE customer_contacts;
DROP TABLE customer_domains;
DROP TABLE customers;
