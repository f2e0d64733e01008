/*
** verify_cmd.h - `streamc verify POLICY... [--key PUB.pem]`: integrity and signature check.
*/
#ifndef STREAMC_VERIFY_CMD_H
#define STREAMC_VERIFY_CMD_H

/* The verify subcommand (argv[0] is "verify"). Exit status 0 all valid, 2 otherwise. */
int cmd_verify(int argc, char **argv);

#endif
