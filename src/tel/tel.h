/*
 * tel: the telephony. SIP over UDP and TCP through libre on one real-time
 * thread: trunks (the carriers' addresses) and their toll-free numbers, the
 * agents' phones (REGISTER with digest authentication), calls run through
 * the IVR, queued by the ACD and bridged to an agent through an RTP relay,
 * one shared media ticker, DTMF, prompts and recordings. Other threads talk
 * to it only by message. This header has no libre type in it.
 */
#ifndef WASL_TEL_H
#define WASL_TEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "store/store.h"
#include "ivr/ivr.h"

/* ---- prompts (data/prompts/<lang>.txt) ---- */
int prompts_load(const char *data_dir);
void prompts_unload(void);
/* Whether a prompt exists in every language (lang_xx: in xx). The
 * signature fits ivr_flow_load()'s check. */
bool prompts_known(const char *id, void *arg);
const char *prompt_text(const char *lang, const char *id);
/* The prompt ids that speak an IVR item, in order; lang_out gets the
 * language they are in. Returns how many (at most max). */
int prompts_render(const struct ivr_item *it, const char *caller_lang, char lang_out[3], char out[][IVR_NAME_MAX], int max);
/* Makes out_dir/<lang>/<id>.wav for every prompt with espeak-ng and sox,
 * skipping those whose text and voice did not change. */
int prompts_generate(const char *out_dir, int *made, int *kept);
int prompts_count(const char *lang);
const char *prompts_id_at(const char *lang, int k);

#endif
