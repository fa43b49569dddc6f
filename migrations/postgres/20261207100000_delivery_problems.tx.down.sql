DROP TABLE delivery_problems;
