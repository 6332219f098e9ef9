"""Canada tenders: out-of-fold F1 for is_ict_gsin from notice text with scikit-learn (5-fold, 2 seeds)."""
import re
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from common import data, line, words_and_characters

frame = pd.read_csv(data('tender', 'canada-buyandsell', 'buyandsell_tenders_2010_2014.csv'), dtype=str).fillna('')
y = (frame.is_ict_gsin == '1').astype(int).values


def file_name(url):
    return re.sub(r'[_\-.]', ' ', url.rsplit('/', 1)[-1].rsplit('.', 1)[0]) if url else ''


inputs = {
    'title': frame.title,
    'title + buyer (what the agent reads)': frame.title + ' || ' + frame.buyer,
    'title + buyer + method + document file name': frame.title + ' || ' + frame.buyer + ' || '
    + frame.method_rationale + ' || ' + frame.first_document_url.map(file_name),
}



models = [
    ('LR words', lambda: make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                                       LogisticRegression(C=10, max_iter=3000))),
    ('LR words+chars', lambda: make_pipeline(words_and_characters(2), LogisticRegression(C=10, max_iter=3000))),
    ('SVM words+chars', lambda: make_pipeline(words_and_characters(2), LinearSVC(C=0.3))),
]
for seed in (1, 2):
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    for input_name, text in inputs.items():
        for model_name, make in models:
            scores = cross_val_predict(make(), text, y, cv=folds, method='decision_function')
            line(f'seed {seed}: {input_name[:28]}, {model_name}', y, scores, threshold=0)
