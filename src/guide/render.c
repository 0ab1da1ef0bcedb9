/*
 * Markdown to HTML with libcmark (CommonMark reference implementation) in
 * its safe mode: raw HTML and javascript:/data: links are dropped.
 */
#include <string.h>
#include <cmark.h>

#include "guide_int.h"

char *guide_render_markdown(const char *md)
{
    return cmark_markdown_to_html(md ? md : "", md ? strlen(md) : 0, CMARK_OPT_DEFAULT | CMARK_OPT_SMART);
}
