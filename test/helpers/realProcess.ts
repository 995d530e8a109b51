/**
 * Real processes for tests: build the C fixtures in `test/fixtures/`, run them (or any command,
 * or a throw-away MariaDB server) under a chosen allocator, capture their `/proc/PID/maps`,
 * `smaps` and `pmap` the way the product's capture writes them, and change `vm.max_map_count`
 * for a while, always putting it back.
 *
 * Nothing is left behind: every child is killed in `stop()`, on process exit, on SIGINT/SIGTERM,
 * and (through `PR_SET_PDEATHSIG`) by the kernel if the test process dies hard. A
 * `vm.max_map_count` change is recorded in a lock file, so a later run restores it even after a
 * crash.
 */
export * from './fixtures';
export * from './processes';
export * from './captures';
export * from './mapsReader';
export * from './maxMapCount';
export * from './mariadb';
