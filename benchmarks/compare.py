"""Five figures of the installed engagehub_native, one line, for comparing two
builds side by side: install one build in a venv, the other in another, and
run this script with each in turn, alternating, on the same machine.

    update_p50_50k_us        Leaderboard.update p50 on a 50k-user board (raw, timer included)
    top10_p50_us, rank_p50_us  top(10) and rank(uid) p50 on the same board
    update_Mps_10k           200k update() on a 10k board, until len() returns
    push_dict_Mps            300k push() → no-op dict callback (buffer 65536, batch 512,
                             50 ms, one dispatcher), until flush() returns
    simplequeue_batched_Mps  the same events through a SimpleQueue + thread building the
                             same dicts in batches of 512: the same-run baseline

Only the package's public API is used, so any version of it can be measured.
"""
import time, gc, sys, threading, statistics, random
import engagehub_native as en
from time import perf_counter_ns as pc
def lat(fn, args, n=20000):
    gc.disable()
    s=[]
    for a in args[:2000]: fn(*a)
    for a in args[:n]:
        t0=pc(); fn(*a); s.append(pc()-t0)
    gc.enable()
    s.sort(); return s[len(s)//2]/1000
res={}
rng=random.Random(1)
users=[str(80000000000000000+i) for i in range(50000)]
b=en.Leaderboard(0.95,0)
b.update_many([(u,float(rng.randint(1,100)),1700000000) for u in users])
ups=[(rng.choice(users), 1.0, 1700000000+i) for i in range(22000)]
res["update_p50_50k_us"]=lat(b.update, ups)
res["top10_p50_us"]=lat(b.top, [(10,)]*22000)
res["rank_p50_us"]=lat(b.rank, [(rng.choice(users),) for _ in range(22000)])
# update throughput 10k
b2=en.Leaderboard(0.95,0); u10=users[:10000]; b2.update_many([(u,1.0,1700000000) for u in u10])
ups2=[(rng.choice(u10), 1.0, 1700000000+i) for i in range(200000)]
up=b2.update
gc.disable(); t0=time.perf_counter()
for u,p,t in ups2: up(u,p,t)
len(b2); res["update_Mps_10k"]=len(ups2)/(time.perf_counter()-t0)/1e6; gc.enable()
# push -> dict callback
N=300000
ev=[("message", users[i%50000], str(90000000000000000+i%300), 0) for i in range(N)]
cnt=[0]
def cb(batch): cnt[0]+=len(batch)
p=en.EventStreamProcessor(buffer_size=65536, batch_size=512, flush_interval=0.05, num_threads=1, on_flush=cb)
push=p.push
gc.disable(); t0=time.perf_counter()
for e in ev:
    while not push(*e): time.sleep(0)
p.flush(); res["push_dict_Mps"]=N/(time.perf_counter()-t0)/1e6; gc.enable()
p.close()
# pure python baseline: simplequeue
from queue import SimpleQueue
q=SimpleQueue(); done=threading.Event(); got=[0]
def consume():
    while True:
        item=q.get()
        if item is None: break
        got[0]+=len([{"type":a,"user_id":b_,"channel_id":c,"timestamp":d} for a,b_,c,d in item])
th=threading.Thread(target=consume); th.start()
gc.disable(); t0=time.perf_counter(); buf=[]
for e in ev:
    buf.append(e)
    if len(buf)>=512: q.put(buf); buf=[]
q.put(buf); q.put(None); th.join()
res["simplequeue_batched_Mps"]=N/(time.perf_counter()-t0)/1e6; gc.enable()
print(" ".join(f"{k}={v:.3f}" for k,v in res.items()))
