"""Errors the faces turn into one French line (exit status 2 on the command line), and
the French words for operating-system errors."""

import errno


class UserError(Exception):
    """Bad input from the user: a file, a path or an option. The message is French."""


class WorkbookError(UserError):
    """A workbook that cannot be read at all (not an xlsx, corrupt, hostile, wrong template)."""


_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé (droits, ou fichier ouvert dans un autre programme)",
    errno.EPERM: "opération non permise",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota de disque dépassé",
    errno.EROFS: "disque en lecture seule",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "le fichier existe déjà",
    errno.EBUSY: "fichier occupé par un autre programme",
    errno.EIO: "erreur de lecture ou d'écriture du disque",
    errno.ELOOP: "trop de liens symboliques",
    errno.EXDEV: "déplacement impossible entre deux disques",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EINVAL: "nom ou chemin invalide",
}


def os_reason(exc: OSError) -> str:
    """The French words for an operating-system error (its own text is in English)."""
    return _OS_REASONS.get(exc.errno or 0, "erreur du système")
