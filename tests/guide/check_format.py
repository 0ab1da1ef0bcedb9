#!/usr/bin/env python3
"""Checks data/guide/ against the article format (front matter keys and order, fee lines,
languages per article, categories, no '---' or HTML in bodies, body length) and that every
slug in tests/guide/relevance.csv exists, with kind other-language only where the article has
no translation in that language. Prints one TAP line per check and exits 1 on any error."""
import json, os, re, sys, csv, glob, datetime
G=os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),'data','guide')
CATS="registration identity-card passport civil-status death-repatriation legalisation return-customs military-service fees-appointments complaints foreigners general".split()
LANGS="ar fr es it nl de en".split()
TOP12="passport-adult cnie-first registration-consular birth-transcription marriage-civil-registration power-of-attorney signature-legalisation criminal-record-extract remains-repatriation change-of-residence vehicle-temporary-admission foreigners-entry".split()
KEYS=["title","summary","documents","fees","processing_time","where_to_apply","source","checked_on","confidence"]
err=[]
def E(*a): err.append(' '.join(map(str,a)))
arts={}
for d in sorted(os.listdir(G)):
    p=os.path.join(G,d)
    if not os.path.isdir(p): continue
    # Not an article: like the loader (src/guide/io.c), a folder without article.json, such as
    # stopwords/ (<lang>.txt), is skipped, unless it holds .md files (an article missing its json).
    if not os.path.exists(os.path.join(p,'article.json')) and not any(f.endswith('.md') for f in os.listdir(p)): continue
    try: a=json.load(open(os.path.join(p,'article.json'),encoding='utf-8'))
    except Exception as e: E(d,'json',e); continue
    if a.get('slug')!=d: E(d,'slug mismatch')
    if a.get('category') not in CATS: E(d,'bad category',a.get('category'))
    if a.get('audience') not in ('citizens','foreigners','both'): E(d,'audience')
    if a.get('source_language')!='fr': E(d,'source_language')
    if set(a)!={'slug','category','audience','source_language','keywords'}: E(d,'json keys',set(a))
    kw=a.get('keywords',{})
    for l in kw:
        if l not in LANGS: E(d,'kw lang',l)
        if not isinstance(kw[l],list) or not all(isinstance(x,str) and x for x in kw[l]): E(d,'kw list',l)
    langs=[]
    fees_by_lang={}; docs_by_lang={}; conf={}
    for f in sorted(os.listdir(p)):
        if f=='article.json': continue
        m=re.fullmatch(r'([a-z]{2})\.md',f)
        if not m or m.group(1) not in LANGS: E(d,'stray file',f); continue
        l=m.group(1); langs.append(l)
        raw=open(os.path.join(p,f),'rb').read()
        try: s=raw.decode('utf-8')
        except: E(d,f,'not utf8'); continue
        if '\r' in s: E(d,f,'CR')
        lines=s.split('\n')
        if lines[0]!='---': E(d,f,'no fm start'); continue
        try: end=lines.index('---',1)
        except ValueError: E(d,f,'no fm end'); continue
        fm=lines[1:end]; body='\n'.join(lines[end+1:])
        if '---' in body: E(d,f,'--- in body')
        if re.search(r'<[a-zA-Z/][^>]*>',body): E(d,f,'html?')
        if '![' in body: E(d,f,'image')
        keys=[]; cur=None; vals={}
        for ln in fm:
            if ln.startswith('  - '):
                if cur not in ('documents','fees'): E(d,f,'list item under',cur); continue
                vals[cur].append(ln[4:])
                continue
            mm=re.fullmatch(r'([a-z_]+):( (.*))?',ln)
            if not mm: E(d,f,'bad fm line',repr(ln)); continue
            k=mm.group(1); v=mm.group(3)
            keys.append(k); cur=k
            if k in ('documents','fees'):
                if v: E(d,f,k,'inline value'); 
                vals[k]=[]
            else:
                if not v or not v.strip(): E(d,f,'empty',k)
                vals[k]=v
        if keys!=KEYS: E(d,f,'keys',keys)
        for fee in vals.get('fees',[]):
            if not re.fullmatch(r'\d+(\.\d+)? [A-Z]{3}: \S.*',fee): E(d,f,'fee format',fee)
        fees_by_lang[l]=[x.split(':')[0] for x in vals.get('fees',[])]
        docs_by_lang[l]=len(vals.get('documents',[]))
        # the day the facts were last checked: a real date, not in the future
        try: checked=datetime.date.fromisoformat(vals.get('checked_on') or '')
        except ValueError: checked=None
        if not checked or checked>datetime.date.today() or checked<datetime.date(2026,1,1): E(d,f,'checked_on',vals.get('checked_on'))
        if vals.get('confidence') not in ('V','S','U'): E(d,f,'confidence')
        conf[l]=vals.get('confidence')
        if 'http' not in (vals.get('source') or ''): E(d,f,'source url')
        wc=len(re.findall(r'\w+',body))
        lo=95 if l=='ar' else 118
        if wc<lo or wc>330: E(d,f,'words',wc)
        if not re.search(r'^## ',body,re.M): E(d,f,'no heading')
    need=set(LANGS) if d in TOP12 else {'fr','ar','en'}
    if not need<=set(langs): E(d,'missing langs',need-set(langs))
    if len(set(map(tuple,fees_by_lang.values())))>1: E(d,'fees differ',fees_by_lang)
    if len(set(docs_by_lang.values()))>1: E(d,'doc counts differ',docs_by_lang)
    if len(set(conf.values()))>1: E(d,'conf differ',conf)
    arts[d]=(a,langs)
print('#',len(arts),'articles')
for c in CATS:
    if not any(a['category']==c for a,_ in arts.values()): E('category not covered:',c)
for t in TOP12:
    if t not in arts: E('top12 missing:',t)

rel=os.path.join(os.path.dirname(os.path.abspath(__file__)),'relevance.csv')
for r in csv.DictReader(open(rel,encoding='utf-8')):
    if r['expected_slug'] not in arts: E('relevance: unknown slug',r); continue
    has=r['lang'] in arts[r['expected_slug']][1]
    if (r['kind']=='other-language')==has: E('relevance: kind/lang mismatch',r)
syn=os.path.join(G,'synonyms.csv')
groups={}
for r in csv.DictReader(open(syn,encoding='utf-8')):
    if r['lang'] not in LANGS or not r['term'].strip(): E('synonyms: bad row',r)
    groups.setdefault(r['group'],set()).add(r['lang'])
for g,ls in groups.items():
    if len(ls)<3: E('synonyms: group with fewer than 3 languages',g)
for e in err: print('# ERR',e)
print('ok 1 - articles parsed' if arts else 'not ok 1 - no articles')
print(('not ok' if err else 'ok')+' 2 - guide format and relevance set (%d errors)'%len(err))
sys.exit(1 if err else 0)
