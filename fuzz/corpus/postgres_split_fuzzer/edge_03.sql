SELECT 'é';
  
-- only a comment
