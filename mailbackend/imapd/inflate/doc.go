// Package inflate decodes a raw DEFLATE stream (RFC 1951) as it arrives, for a
// protocol whose peer compresses each message and flushes it: IMAP's
// COMPRESS=DEFLATE (RFC 4978).
//
// compress/flate (and klauspost/compress/flate) cannot serve there: the first
// hands out a block's bytes only at a stored block or a full window, the second
// reads ahead into the next block before handing them out, and a client that
// flushes with zlib's Z_PARTIAL_FLUSH (mbsync) sends neither; its command would
// wait forever for bytes the client will not send until it gets an answer.
//
// It owns: a Reader that hands out every decoded byte before it waits for more
// input (it reads a bit only when a symbol needs it, and stops at a block
// boundary or when the next item's bits have not all arrived), with the
// stream's 32 KiB window as its only state.
//
// It must never: read past what the symbol being decoded needs while holding
// decoded bytes, accept a stream compress/flate rejects or decode one
// differently (FuzzAgainstFlate), or take memory that grows with the input.
package inflate
