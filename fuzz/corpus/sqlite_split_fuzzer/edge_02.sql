/* comment ; */ SELECT 1; -- trailing ; comment
;;
SELECT [a;b] FROM "c;d"