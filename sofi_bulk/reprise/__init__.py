"""« Reprendre son offre »: an existing offer (an LHEO 2.3 file, a ``soumission.json``, an
earlier workbook) read back into the rows of a new entry workbook.

Readers (``lheo``, ``submission``, ``workbook``) turn a source into plain rows of catalogue
values (``offer.TakenOffer``); ``campaign`` moves them to the next campaign when asked;
``rows`` makes them the cells of the current template; ``take`` checks those rows with the
one check of the tool and writes them into the template, marked as ``validate`` marks them,
with a « Reprise » sheet that says what was taken and what was not.
"""
