// Package pgtest gives tests a fresh PostgreSQL database of their own on the
// server named by RUNNEL_TEST_POSTGRES_URL. Tests that need PostgreSQL fail
// loudly when it is missing: they never skip, so CI cannot go green by
// silently testing nothing.
package pgtest
