"""A small hand-made music world for the entity-graph tests (two artists, their albums and singles)."""

from __future__ import annotations

from schemas.records import Fact, Page
from tests.synth.conftest import make_page

W = "http://127.0.0.1:8000/wiki/"


def fact(key: str, value: str, *links: str) -> Fact:
    return Fact(key=key, value=value, links=[W + x for x in links])


def page(name: str, subject: str, facts: list[Fact], description: str = "", links: tuple[str, ...] = ()) -> Page:
    p = make_page(W + name, subject, facts=facts, links=[W + x for x in links], root=W + "Ann_Ray.html")
    return p.model_copy(update={"description": description})


def music_world() -> list[Page]:
    return [
        page("Ann_Ray.html", "Ann Ray", [
            fact("Born", "March 3, 1931; Macon, Georgia, U.S."), fact("Died", "May 1, 2004"),
            fact("Genres", "Soul, blues"), fact("Occupation(s)", "Singer, pianist"),
            fact("Labels", "Atlantic, ABC")], "Ann Ray (1931 – 2004) was an American singer and pianist."),
        page("Bo_Tate.html", "Bo Tate", [
            fact("Born", "July 9, 1952; Akron, Ohio, U.S."), fact("Genres", "Rock, blues"),
            fact("Occupation(s)", "Guitarist"), fact("Labels", "Columbia")],
            "Bo Tate (born 1952) is an English guitarist."),
        page("Blue_Dawn.html", "Blue Dawn", [
            fact("Type", "Studio album by Ann Ray", "Ann_Ray.html"), fact("Released", "1961"),
            fact("Genre", "Soul"), fact("Length", "38:30"), fact("Label", "Atlantic"),
            fact("Producer", "Jerry Wexler"), fact("Next album", "Grey Noon", "Grey_Noon.html")]),
        page("Grey_Noon.html", "Grey Noon", [
            fact("Type", "Studio album by Ann Ray", "Ann_Ray.html"), fact("Released", "1964"),
            fact("Genre", "Blues"), fact("Length", "41:02"), fact("Label", "ABC"),
            fact("Producer", "Sid Feller"), fact("Previous album", "Blue Dawn", "Blue_Dawn.html")]),
        page("Red_Road.html", "Red Road", [
            fact("Type", "Studio album by Bo Tate", "Bo_Tate.html"), fact("Released", "1975"),
            fact("Genre", "Rock"), fact("Length", "44:10"), fact("Label", "Columbia"),
            fact("Producer", "Tom Dowd")]),
        page("Low_Tide_(song).html", "Low Tide (song)", [
            fact("Type", "Single by Ann Ray", "Ann_Ray.html"), fact("Album", "Blue Dawn", "Blue_Dawn.html"),
            fact("Released", "1961"), fact("Genre", "Soul"), fact("Length", "2:58"), fact("Label", "Atlantic"),
            fact("Writer(s)", "Percy Mayfield"), fact("Producer(s)", "Jerry Wexler"),
            fact("Next single", "High Tide", "High_Tide.html")]),
        page("High_Tide.html", "High Tide", [
            fact("Type", "Single by Ann Ray", "Ann_Ray.html"), fact("Album", "Grey Noon", "Grey_Noon.html"),
            fact("Released", "1963"), fact("Genre", "Blues"), fact("Length", "3:40"), fact("Label", "ABC"),
            fact("Writer(s)", "Doc Pomus"), fact("Previous single", "Low Tide", "Low_Tide_(song).html")]),
        page("Stone_Song.html", "Stone Song", [
            fact("Type", "Single by Bo Tate", "Bo_Tate.html"), fact("Album", "Red Road", "Red_Road.html"),
            fact("Released", "1975"), fact("Genre", "Rock"), fact("Length", "4:12"), fact("Label", "Columbia"),
            fact("Writer(s)", "Bo Tate", "Bo_Tate.html")], links=("Low_Tide_(song).html",)),
    ]
