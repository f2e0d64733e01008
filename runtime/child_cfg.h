/*
** child_cfg.h - the settings a parent gives one child's host, read from the policy the way
** Netdata 1.37.1 layers them (config-semantics §3.3-§3.5): the machine-GUID section, then the
** API-key section (already resolved against [stream] and netdata.conf by streamc), then the
** built-in defaults, some of which name a netdata.conf setting. The same rules as
** `streamc explain`, typed for the runtime.
*/
#ifndef STREAMC_CHILD_CFG_H
#define STREAMC_CHILD_CFG_H

#include "policy_view.h"
#include "rrd.h"

/* Fill OUT for a child that presented API key KEY and machine GUID GUID (both valid GUIDs).
   OUT's strings point into V. */
void child_cfg_resolve(const PolicyView *v, const char *key, const char *guid, RrdHostConfig *out);
/* The node's own host: netdata.conf [db] mode / retention / update every, [health] enabled. */
void child_cfg_local(const PolicyView *v, RrdHostConfig *out);

#endif
