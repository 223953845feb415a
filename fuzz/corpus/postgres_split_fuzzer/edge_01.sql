/* outer /* nested ; */ still comment */ SELECT 1;
CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO v VALUES (2));
