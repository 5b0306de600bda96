// Package benchdir gives benchmarks data directories that outlive each run and are
// removed only when the test binary exits.
//
// Why not testing.B.TempDir: the benchmark framework runs a benchmark several times
// (b.N = 1, then the real N, times -count), and TempDir removes each run's spool —
// thousands of blob files — right before the next run starts. On ext4 without a
// journal (the machines here), the inode allocator then skips every inode freed in
// the last minute or more (fs/ext4/ialloc.c, recently_deleted), one buffer lookup
// each, and creating a file costs 0.4–0.6 ms instead of 0.03 ms until they age out.
// A delivery benchmark would measure the previous run's cleanup, not the server.
package benchdir
