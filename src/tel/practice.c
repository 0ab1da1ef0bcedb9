/*
 * Practice calls on the real-time thread: wasl itself is the caller. It
 * rings the trainee's registered phone (the agent leg machinery of
 * leg_dial), and once answered plays the script's lines, each followed by
 * its pause, then hangs up. A practice call is not a call of the center:
 * it is never in rt.calls (so never in the snapshot, the wallboard or the
 * call log), never offered by the distributor (the trainee must be logged
 * out of the queues, and cannot log in meanwhile), and its only events are
 * practice.call, which no figure reads (docs/practice.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "events/events.h"
#include "practice/practice.h"

#define PRACTICE_CALLS_MAX 64 /* trainees in practice at once on a node */

struct pcall {
    struct le le;
    struct tcall *c; /* its agent leg is the trainee's phone; `in` is unused */
    int64_t session, user;
    char script[PRACTICE_ID_MAX], language[WASL_LANG_CODE_MAX];
    int16_t *pcm[PRACTICE_LINES_MAX];
    size_t n[PRACTICE_LINES_MAX];
    int nlines, pause_ms;
    bool answered;
    int64_t ring_deadline; /* monotonic µs */
};

static struct list pcalls;
static int npcalls;

int practice_count(void)
{
    return npcalls;
}

bool practice_busy(int64_t user)
{
    for (struct le *le = pcalls.head; le; le = le->next)
        if (((struct pcall *)le->data)->user == user)
            return true;
    return false;
}

/* Lines the trainee has heard (begun) so far: a line and its pause are
 * two segments. */
static int lines_played(const struct pcall *p)
{
    const struct leg *l = p->c ? p->c->agent : NULL;
    int n = !l || !p->answered ? 0 : l->cur / 2 + 1;
    return n < p->nlines ? n : p->nlines;
}

static void emit(const struct pcall *p, const char *stage, const char *outcome)
{
    events_add(EV_PRACTICE_CALL, 0, p->user, NULL, stage, outcome, p->script, p->session, lines_played(p));
}

static void pcall_free(struct pcall *p)
{
    if (p->c) {
        if (p->c->agent) {
            leg_hangup(p->c->agent);
            p->c->agent = NULL;
        }
        mem_deref(p->c);
    }
    for (int i = 0; i < p->nlines; i++)
        free(p->pcm[i]);
    free(p);
}

static void end(struct pcall *p, const char *stage, const char *outcome)
{
    emit(p, stage, outcome);
    log_info("tel: practice session %lld (agent %lld, %s): %s %s", (long long)p->session, (long long)p->user, p->script, stage,
             outcome);
    list_unlink(&p->le);
    npcalls--;
    pcall_free(p);
}

/* ---- the command from the API ---- */

struct practice_cmd {
    struct pcall *p; /* handed to the real-time thread when it is taken */
};

static int practice_apply(void *arg)
{
    struct practice_cmd *k = arg;
    struct pcall *p = k->p;
    struct acd_agent_view v;
    char contact[256];

    if (npcalls >= PRACTICE_CALLS_MAX)
        return err_set(WASL_EBUSY, "practice.busy", "%d practice calls are going on already: try again later", PRACTICE_CALLS_MAX);
    if (practice_busy(p->user))
        return err_set(WASL_ECONFLICT, "practice.in_progress", "a practice call of yours is not over yet");
    if (!acd_agent_get(rt.acd, p->user, &v) && v.state != ACD_OFFLINE)
        return err_set(WASL_ECONFLICT, "practice.logged_in",
                       "you are logged in to the queues: log out first (a practice call never mixes with real calls)");
    err_clear();
    if (!registrar_contact(p->user, contact, sizeof(contact)))
        return err_set(WASL_ECONFLICT, "tel.phone_not_registered",
                       "your phone is not connected (registered): no call could reach you; connect it, then try again");
    struct tcall *c = mem_zalloc(sizeof(*c), call_destroy);
    if (!c)
        return WASL_ENOMEM;
    c->in.call = c;
    c->practice = true;
    c->agent_user = p->user;
    c->st = T_BRIDGED; /* the trainee's hang-up ends it (close_h) */
    snprintf(c->ivr.language, sizeof(c->ivr.language), "%s", p->language);
    snprintf(c->callid, sizeof(c->callid), "practice-%lld", (long long)p->session);
    p->c = c;
    k->p = NULL;
    list_append(&pcalls, &p->le, p);
    npcalls++;
    ticker_wake();
    emit(p, "dialling", NULL);
    c->agent = leg_dial(c, contact, LEG_AGENT);
    p->ring_deadline = mono_us() + rt.cfg.ring_timeout;
    if (!c->agent) {
        end(p, "failed", "no_memory");
        return 0;
    }
    if (!c->agent->declined_flag)
        emit(p, "ringing", NULL);
    return 0;
}

static void practice_cmd_free(void *arg)
{
    struct practice_cmd *k = arg;
    if (k->p)
        pcall_free(k->p);
    free(k);
}

int tel_practice_call(int64_t user, int64_t session, const char *script_id, bool *applied)
{
    const struct practice_script *s = practice_script_get(script_id);
    char wav[1400];
    int err = 0;

    *applied = false;
    if (!s)
        return err_set_field(WASL_ENOENT, "practice.script_not_found", "script", "no practice script has this id");
    if (!atomic_load(&rt.running))
        return err_set(WASL_ECONFLICT, "tel.not_running", "the telephony is not running (sip.enabled)");
    struct practice_cmd *k = calloc(1, sizeof(*k));
    struct pcall *p = calloc(1, sizeof(*p));
    if (!k || !p) {
        free(k);
        free(p);
        return WASL_ENOMEM;
    }
    k->p = p;
    p->session = session;
    p->user = user;
    p->pause_ms = s->pause_ms;
    snprintf(p->script, sizeof(p->script), "%s", s->id);
    snprintf(p->language, sizeof(p->language), "%s", s->language);
    /* the caller's voice, read here and not on the real-time thread */
    for (int i = 0; i < s->nlines && !err; i++) {
        practice_line_wav(rt.gen_dir, s->id, i, wav, sizeof(wav));
        if ((err = wav_read(wav, &p->pcm[i], &p->n[i])))
            err = err_set(WASL_EINTERNAL, "practice.no_audio", "line %d of script %s is not spoken (make prompts): %s", i + 1,
                          s->id, err_message());
        else
            p->nlines++;
    }
    if (err) {
        practice_cmd_free(k);
        return err;
    }
    return tel_command(practice_apply, k, practice_cmd_free, CMD_WAIT_MS, applied);
}

/* ---- the ticker ---- */

static void answered(struct pcall *p)
{
    struct leg *l = p->c->agent;
    p->answered = true;
    atomic_store_explicit(&l->last_rx, mono_us(), memory_order_relaxed); /* the trainee's silence is timed from the answer */
    emit(p, "answered", NULL);
    for (int i = 0; i < p->nlines; i++) {
        player_add(l, p->pcm[i], p->n[i]);
        player_add(l, NULL, (size_t)p->pause_ms * 8);
    }
    leg_media_start(l);
}

/* The script has played to its end (the media side reported it). */
static bool player_done(struct leg *l)
{
    player_poll(l);
    return l->play_done && !player_busy(l);
}

void practice_tick(int64_t now)
{
    struct le *le = pcalls.head;
    while (le) {
        struct pcall *p = le->data;
        struct tcall *c = p->c;
        struct leg *l = c->agent;
        le = le->next;
        if (c->end_reason[0]) {
            end(p, "ended", "trainee_hangup");
        } else if (!p->answered && l->answered_flag) {
            l->answered_flag = false;
            answered(p);
        } else if (!p->answered && l->declined_flag) {
            end(p, "not_answered", l->unreachable ? "unreachable" : "declined");
        } else if (!p->answered && now >= p->ring_deadline) {
            end(p, "not_answered", "timeout");
        } else if (p->answered && player_done(l)) {
            end(p, "ended", "script_done");
        } else if (p->answered && l->declined_flag) {
            end(p, "ended", "trainee_hangup");
        } else if (p->answered && leg_last_rx(l) && now - leg_last_rx(l) > rt.cfg.rtp_timeout && !l->held) {
            end(p, "ended", "rtp_timeout");
        }
    }
}

void practice_shutdown(void)
{
    while (pcalls.head)
        end(pcalls.head->data, "ended", "shutdown");
}
