"""The same TF-IDF + logistic-regression rows computed with scikit-learn, as a cross-check of
bench/tfidf-cjk/run.ts (which uses adaptext's own TfidfVectorizer and L-BFGS).

Run: node --import tsx bench/tfidf-cjk/run.ts --dump /tmp/tfidf-dump
     /usr/bin/python3 bench/tfidf-cjk/sklearn_check.py /tmp/tfidf-dump   (Debian python3-sklearn 1.2.1)

Per pair and analyzer: TfidfVectorizer(analyzer, ngram_range = (1, 2) for word / (1, 3) for char
and char_wb, sublinear_tf=True, min_df=2) fitted on the training texts, LogisticRegression(C=1,
solver='newton-cg', tol=1e-8) (the optimum, as adaptext's tighter-than-default L-BFGS), accuracy in %
on the target test split; source only and source + the 500 target few-shot labels.
"""
import glob, json, os, sys
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

folder = sys.argv[1] if len(sys.argv) > 1 else '/tmp/tfidf-dump'
settings = {'word': (1, 2), 'char': (1, 3), 'char_wb': (1, 3)}
print('| pair | ' + ' | '.join(f'{a} src | {a} src+500' for a in settings) + ' |')
print('|---|' + '---:|---:|' * len(settings))
for path in sorted(glob.glob(os.path.join(folder, '*.json'))):
    d = json.load(open(path, encoding='utf-8'))
    cells = []
    for analyzer, rng in settings.items():
        for train_texts, train_y in [
            (d['source']['texts'], d['source']['labels']),
            (d['source']['texts'] + d['fewShot']['texts'], d['source']['labels'] + d['fewShot']['labels']),
        ]:
            vec = TfidfVectorizer(analyzer=analyzer, ngram_range=rng, sublinear_tf=True, min_df=2)
            X = vec.fit_transform(train_texts)
            m = LogisticRegression(C=1.0, solver='newton-cg', tol=1e-8, max_iter=1000).fit(X, train_y)
            acc = (m.predict(vec.transform(d['targetTest']['texts'])) == d['targetTest']['labels']).mean()
            cells.append(f'{100 * acc:.1f}')
    print(f"| {d['pair'].replace(':', ' → ')} | " + ' | '.join(cells) + ' |')
