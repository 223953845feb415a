ALTER TYPE order_status ADD VALUE 'cancelled' AFTER 'canceled';
