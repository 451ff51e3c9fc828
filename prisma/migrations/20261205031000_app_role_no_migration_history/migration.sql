-- The application role (what every request's statements run as) was granted every table of the schema when row-level
-- security came in, Prisma's migration history included: a request could have rewritten which migrations count as
-- applied. It never needs that table (readiness reads it as the system).
REVOKE ALL ON "_prisma_migrations" FROM h2o_app;
