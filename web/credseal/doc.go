// Package credseal seals the account passwords the webmail keeps for work it does
// while nobody is signed in: the outbox's waiting sends (web/outbox) and the push
// watches of accounts with devices (web/push). Each sealed password is AES-256-GCM
// under one key, with the account as associated data, so a sealed value moved to
// another account's row does not open.
//
// The key is 32 random bytes in a file of its own in the webmail's data directory
// (KeyFile, mode 0600), apart from settings.db where the sealed values are kept:
// a copy of the database alone opens nothing. The file keeps the name it had when
// the outbox was its only user, so an installation keeps its key across upgrades.
// `yubin backup` carries it (mailbackend/backup Options.Files): a restore without
// it cannot open what the database holds.
//
// It owns the key file and the sealing. It must never write a password anywhere,
// nor log one.
package credseal
