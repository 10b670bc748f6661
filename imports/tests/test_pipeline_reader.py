"""The reader on its own: every parsing rule of the import, no database."""

import gzip
import io

import pytest

from imports.pipeline.reader import (
    CP1252_WARNING,
    NUL_WARNING,
    ImportFileError,
    NotUtf8Error,
    product_csv_open,
)


def read(content: bytes, *, encoding=None):
    """Returns (valid rows, rejected rows, opened file) for ``content``."""
    rejected = []
    product_csv = product_csv_open(io.BytesIO(content), encoding=encoding)
    rows = list(product_csv.rows(on_reject=rejected.append))
    return rows, rejected, product_csv


def test_columns_are_found_by_header_ignoring_case_spaces_and_order():
    rows, rejected, _ = read(b"  Name ,Extra, S K U ,DESCRIPTION\nKettle,x,K-1,Hot\n")
    assert rows == [(2, "K-1", "Kettle", "Hot", None)]
    assert rejected == []


def test_file_without_sku_column_fails_naming_the_columns_found():
    with pytest.raises(ImportFileError) as error:
        read(b"code,title,price\n1,Kettle,9\n")
    assert "no \u201csku\u201d column" in str(error.value)
    assert "code, title, price" in str(error.value)


def test_sku_is_trimmed():
    rows, _, _ = read(b"sku,name\n  AB-1  ,Kettle\n")
    assert rows[0][1] == "AB-1"


def test_utf8_bom_is_ignored():
    rows, _, product_csv = read("sku,name\nK-1,Café\n".encode("utf-8-sig"))
    assert product_csv.columns["sku"] == 0
    assert rows[0][2] == "Café"
    assert product_csv.warnings == []


def test_invalid_utf8_asks_for_a_cp1252_reread_which_warns():
    content = "sku,name\nK-1,Caf\u00e9 cr\u00e8me\n".encode("cp1252")
    with pytest.raises(NotUtf8Error):
        read(content)
    rows, _, product_csv = read(content, encoding="cp1252")
    assert rows[0][2] == "Café crème"
    assert CP1252_WARNING in product_csv.warnings


def test_invalid_utf8_late_in_the_file_is_noticed_while_reading_rows():
    content = (
        b"sku,name\n"
        + b"A-%d,ok\n" * 0
        + b"".join(b"A-%d,plain\n" % number for number in range(5000))
    )
    content += "Z-1,na\u00efve\n".encode("cp1252")
    product_csv = product_csv_open(io.BytesIO(content))
    with pytest.raises(NotUtf8Error):
        list(product_csv.rows(on_reject=lambda row: None))


def test_utf16_with_bom_as_excel_unicode_text_is_read():
    content = "sku\tname\tdescription\r\nK-1\tKettle\tHot water\r\n".encode("utf-16")
    rows, _, product_csv = read(content)
    assert product_csv.delimiter == "\t"
    assert rows == [(2, "K-1", "Kettle", "Hot water", None)]


def test_utf16_without_bom_is_recognised():
    content = "sku,name\nK-1,Kettle\n".encode("utf-16-le")
    rows, _, _ = read(content)
    assert rows == [(2, "K-1", "Kettle", "", None)]


def test_crlf_and_lf_line_endings_give_the_same_rows():
    lf, _, _ = read(b"sku,name\nA,One\nB,Two\n")
    crlf, _, _ = read(b"sku,name\r\nA,One\r\nB,Two\r\n")
    assert lf == crlf


def test_quoted_fields_keep_commas_quotes_and_newlines():
    content = b'sku,name,description\nK-1,"Kettle, steel","Says ""hi""\nline two"\n'
    rows, _, _ = read(content)
    assert rows == [(2, "K-1", "Kettle, steel", 'Says "hi"\nline two', None)]


def test_line_numbers_count_physical_lines_of_multiline_records():
    content = b'sku,description\nA,"one\ntwo\nthree"\n,empty sku\n'
    rows, rejected, _ = read(content)
    assert rows[0][0] == 2
    assert rejected[0].line == 5


@pytest.mark.parametrize("delimiter", [b";", b"\t"])
def test_semicolon_and_tab_delimiters_are_sniffed_from_the_header(delimiter):
    content = delimiter.join([b"sku", b"name"]) + b"\n"
    content += delimiter.join([b"K-1", b"Kettle, steel"]) + b"\n"
    rows, _, product_csv = read(content)
    assert product_csv.delimiter == delimiter.decode()
    assert rows == [(2, "K-1", "Kettle, steel", "", None)]


def test_gzip_compressed_csv_is_read():
    rows, _, _ = read(gzip.compress(b"sku,name\nK-1,Kettle\n"))
    assert rows == [(2, "K-1", "Kettle", "", None)]


def test_damaged_gzip_fails_with_a_message():
    content = gzip.compress(b"sku,name\n" + b"K-1,Kettle\n" * 1000)[:-30]
    with pytest.raises(ImportFileError, match="compressed file is damaged"):
        read(content)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("Yes", True),
        ("false", False),
        ("0", False),
        ("no", False),
        (" No ", False),
        ("", None),
    ],
)
def test_active_column_values(cell, expected):
    rows, rejected, product_csv = read(f"sku,active\nK-1,{cell}\n".encode())
    assert product_csv.has_active_column
    assert rows[0][4] is expected
    assert rejected == []


def test_active_value_that_is_not_a_boolean_is_rejected():
    rows, rejected, _ = read(b"sku,active\nK-1,maybe\n")
    assert rows == []
    assert rejected[0].column == "active"
    assert "maybe" in rejected[0].reason


def test_file_without_active_column_leaves_active_unset():
    rows, _, product_csv = read(b"sku\nK-1\n")
    assert not product_csv.has_active_column
    assert rows[0][4] is None


def test_empty_sku_is_rejected_with_line_column_reason_and_values():
    rows, rejected, product_csv = read(b"sku,name\n  ,Nameless\nK-1,Kettle\n")
    assert [row[1] for row in rows] == ["K-1"]
    assert len(rejected) == 1
    assert rejected[0].line == 2
    assert rejected[0].column == "sku"
    assert rejected[0].reason == "SKU is empty"
    assert rejected[0].values == ["  ", "Nameless"]
    assert product_csv.rejected_rows == 1


def test_values_beyond_the_column_limits_are_rejected():
    long_sku = "S" * 256
    long_name = "N" * 256
    content = f"sku,name\n{long_sku},ok\nK-2,{long_name}\nK-3,{'n' * 255}\n"
    rows, rejected, _ = read(content.encode())
    assert [row[1] for row in rows] == ["K-3"]
    assert [(row.line, row.column) for row in rejected] == [(2, "sku"), (3, "name")]
    assert "longer than 255" in rejected[0].reason


def test_blank_lines_and_empty_rows_are_skipped_silently():
    content = b"\n\nsku,name\n\nK-1,Kettle\n,\n   \r\n\nK-2,Cup\n\n"
    rows, rejected, product_csv = read(content)
    assert [(row[0], row[1]) for row in rows] == [(5, "K-1"), (9, "K-2")]
    assert rejected == []
    assert product_csv.data_rows == 2


def test_short_rows_get_empty_values_and_long_rows_with_data_are_rejected():
    content = (
        b"sku,name,description\nK-1,Kettle\nK-2,Cup,Big,surprise\nK-3,Mug,Tall,,\n"
    )
    rows, rejected, _ = read(content)
    assert rows == [
        (2, "K-1", "Kettle", "", None),
        (4, "K-3", "Mug", "Tall", None),
    ]
    assert rejected[0].line == 3
    assert "4 values but the header has 3 columns" in rejected[0].reason


def test_duplicate_known_header_fails_with_positions():
    with pytest.raises(ImportFileError, match=r"columns 1, 3"):
        read(b"sku,name,SKU\nA,B,C\n")


def test_duplicate_unknown_headers_are_ignored():
    rows, _, _ = read(b"sku,note,note\nK-1,a,b\n")
    assert rows[0][1] == "K-1"


def test_nul_bytes_in_text_are_removed_with_a_warning():
    rows, _, product_csv = read(b"sku,name\nK-1,Ket\x00tle\n")
    assert rows[0][2] == "Kettle"
    assert NUL_WARNING in product_csv.warnings


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\r\n\n  \n", "The file is empty"),
        ("\ufeff".encode(), "The file is empty"),
        (b"sku,name,description\n", "no products below it"),
        (b"sku,name\n\n\n", "no products below it"),
        (bytes(range(256)) * 40, "binary data"),
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
        (b"%PDF-1.7\n%stuff\n", "PDF"),
        (b"Lorem ipsum dolor sit amet\nconsectetur adipiscing\n", "no \u201csku\u201d"),
    ],
)
def test_files_that_are_not_product_csvs_fail_with_a_human_message(content, message):
    with pytest.raises(ImportFileError, match=message):
        read(content)


def test_unclosed_quote_swallowing_the_file_fails_with_a_line_number():
    content = b'sku,name\nK-1,"open quote\n' + b"x" * (9 * 1024 * 1024) + b"\n"
    with pytest.raises(ImportFileError, match="Line 2 could not be read"):
        read(content)


def test_quote_left_open_fails_instead_of_swallowing_the_following_rows():
    content = b'sku,name\nA-9,"oops\nB-9,fine\nC-9,fine\n'

    with pytest.raises(ImportFileError, match="Line 2 .* never closed"):
        read(content)


def test_text_after_a_closing_quote_fails_with_its_line():
    content = b'sku,name\nA-1,fine\nA-2,"12"" ok"\nA-3,"ab"cd\n'

    with pytest.raises(ImportFileError, match="Line 4 could not be read"):
        read(content)


def test_byte_progress_is_counted():
    content = b"sku,name\n" + b"".join(b"K-%d,Name\n" % i for i in range(20000))
    _, _, product_csv = read(content)
    assert product_csv.bytes_read == len(content)
