"""Real public tables with hand-made labels, for the PII benchmark.

The tables are not copied into nbsec: each entry names a public GitHub repository, a path and
a commit, and :func:`load` reads the file from a local clone (``--real-dir DIR`` holding
``<owner>+<name>/`` clones, or the mirrors under ``/work/.mirror`` where they exist). Entries
whose file is not there are skipped and listed.

``split`` says how each table was used: ``dev`` tables were looked at while nbsec was tuned;
``holdout`` tables were labelled from their headers and kept aside until the final run;
``fresh`` tables were a second hold-out, labelled from their headers and a few values before
nbsec was run on them, after the first hold-out had been scored; their mistakes have since been
looked at (country and currency names in other languages), so they are seen, no hold-out.
``holdout2`` tables are a third hold-out, from sources not used before (Rdatasets files and
FiveThirtyEight folders not used above, the Python Data Science Handbook's data, pandas
exercises, datasets/population and datasets/gdp, and staff and customer sample tables committed
to public repositories), labelled from their headers and a few values before nbsec was run on
them, and scored once.
Tables added later name the ``commit`` their labels were made at. Sources:
seaborn-data, vega-datasets, plotly/datasets, Rdatasets, the pydata-book data, FiveThirtyEight's
data, the datasets/ organisation's S&P 500 and country-code tables, Mockaroo exports committed
to public repositories, justmarkham/pandas-videos and a small CSV library; tables of
an independent evaluation's held-out collections are not used.

Labels: the presidio entity types a careful reviewer would call personal data in that column.
Aggregate tables of places (one row per country, state or team, with metrics) hold none; a
column of lone first names in a table of name counts holds none; passengers' and people's names
are PERSON; an e-mail column is EMAIL_ADDRESS, and so on.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIRROR = Path("/work/.mirror")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RealTable:
    name: str
    repo: str
    path: str
    split: str  # dev | holdout | fresh | holdout2
    truth: dict[str, frozenset[str]] = field(default_factory=dict)
    sep: str = ","
    # a table of places, teams or products with statistics per row: no column is personal
    aggregate: bool = False
    commit: str = ""  # the commit the labels were made at ("": the clone's HEAD)

    @property
    def source(self) -> str:
        if self.repo in MOCK:
            return "Mockaroo exports"
        return "staff and customer samples" if self.repo in STAFF else self.repo


def _t(**columns: str) -> dict[str, frozenset[str]]:
    return {k.replace("__", " "): frozenset(v.split()) for k, v in columns.items()}


SEABORN = "mwaskom/seaborn-data"  # BSD-3-Clause (seaborn's example data)
VEGA = "vega/vega-datasets"  # BSD-3-Clause; each file's own source in its README
PLOTLY = "plotly/datasets"  # MIT
RDATA = "vincentarelbundock/Rdatasets"  # GPL-3; the data of R packages, each with its licence
PYDATA = "wesm/pydata-book"  # the book's data sets (public sources)
VIDEOS = "justmarkham/pandas-videos"
SAMPLES = "Noertri/simple-csv-lib"
FTE = "fivethirtyeight/data"  # CC BY 4.0 (FiveThirtyEight's data behind its articles)
FTE_AT = "fcf572c4fba05a42f1f34f415bd5e6dc389efd68"
PLOTLY_AT = "0c447c47b757ad74edecab31f0d72f849d2e67c2"
SEABORN_AT = "71e2436a092d714350de0fc409ca8a8714e7e78f"
VEGA_AT = "cad85578e232704bb0453544742440038038c6a2"
SP500 = "datasets/s-and-p-500-companies"  # ODC-PDDL
COUNTRY_CODES = "datasets/country-codes"  # ODC-PDDL
# Mockaroo exports committed to public repositories (generated people, no licence stated:
# read from a local clone, never copied into nbsec)
MOCK = (
    "Alex19928585/MOCK_DATA",
    "AutismWA/Test-Data",
    "4jumpscout/csv2csvandjson-email-etl",
    "AbdulSnk/dataset-repo",
    "Anik2812/Health-Connect",
    "Axit3376/Data-Lens",
    "Bhautik-2004/FMS-main",
    "AntheaJFW/flask-ag-grid-example",
    "BarnabasG/CSV_diff_python",
    "0JK0/VisualData",
)
# staff and customer sample tables committed to public repositories (no licence stated: read
# from a local clone, never copied into nbsec)
STAFF = (
    "AlexanderVak/EmployeeBirthdays",
    "ABAYA12/world_200_employees",
    "belkendil/customer-manager-analyzer",
)
RDATA_AT = "1dcc2bf5f955cc1224a3e1307256e1fe86b68dae"
PDSH = "jakevdp/PythonDataScienceHandbook"  # MIT (code); the data's public sources
PDSH_AT = "d66231454ef753818dc9213c9b5942e067266966"
EXERCISES = "guipsamora/pandas_exercises"  # BSD-3-Clause
EXERCISES_AT = "daf0fd2c7c34724aba5b7ec6006aaf9873a2913b"
POPULATION = "datasets/population"  # ODC-PDDL (World Bank data)
GDP = "datasets/gdp"  # ODC-PDDL (World Bank data)
PROVIDERS = "dash-sample-apps/dash-medical-provider-charges/data/processed"

TABLES: tuple[RealTable, ...] = (
    # -- development: looked at while tuning ---------------------------------------------------
    RealTable("sns_titanic_raw", SEABORN, "raw/titanic.csv", "dev", _t(name="PERSON")),
    RealTable("sns_titanic", SEABORN, "titanic.csv", "dev"),
    RealTable("sns_taxis", SEABORN, "taxis.csv", "dev", aggregate=True),
    RealTable("sns_taxi_zones", SEABORN, "raw/taxi_zones.csv", "dev", aggregate=True),
    RealTable("sns_healthexp", SEABORN, "healthexp.csv", "dev", aggregate=True),
    RealTable("sns_mpg", SEABORN, "mpg.csv", "dev"),
    RealTable("sns_penguins", SEABORN, "penguins.csv", "dev"),
    RealTable("vega_airports", VEGA, "data/airports.csv", "dev", aggregate=True),
    RealTable("vega_birdstrikes", VEGA, "data/birdstrikes.csv", "dev"),
    RealTable("vega_la_riots", VEGA, "data/la-riots.csv", "dev",
              _t(first_name="PERSON", last_name="PERSON", address="LOCATION",
                 neighborhood="LOCATION")),
    RealTable("vega_lookup_people", VEGA, "data/lookup_people.csv", "dev", _t(name="PERSON")),
    RealTable("vega_zipcodes", VEGA, "data/zipcodes.csv", "dev", aggregate=True),
    RealTable("vega_gapminder_income", VEGA, "data/gapminder-health-income.csv", "dev",
              aggregate=True),
    RealTable("vega_engineers_hurricanes", VEGA, "data/population_engineers_hurricanes.csv",
              "dev", aggregate=True),
    RealTable("plotly_providers_nc", PLOTLY, f"{PROVIDERS}/df_NC_lat_lon.csv", "dev",
              aggregate=True),
    RealTable("plotly_nhl_draft", PLOTLY, "nhl_draft_2013_@thejustinfisher.csv", "dev",
              _t(Name="PERSON")),
    RealTable("plotly_medicare_cost", PLOTLY, "medicare_cost.csv", "dev", aggregate=True),
    RealTable("plotly_usa_states", PLOTLY, "2014_usa_states.csv", "dev", aggregate=True),
    RealTable("plotly_us_cities", PLOTLY, "us-cities-top-1k.csv", "dev", aggregate=True),
    RealTable("plotly_telco_churn", PLOTLY, "telco-customer-churn-by-IBM.csv", "dev"),
    RealTable("plotly_gapminder", PLOTLY, "gapminderDataFiveYear2.csv", "dev", aggregate=True),
    # the members' states: LOCATION beside their names, as the senators' in r_alito (first
    # labelled none, an oversight found when nbsec began to read state codes)
    RealTable("r_piracy", RDATA, "csv/openintro/piracy.csv", "dev",
              _t(name="PERSON", state="LOCATION")),
    RealTable("r_alito", RDATA, "csv/Stat2Data/AlitoConfirmation.csv", "dev",
              _t(Senator="PERSON", State="LOCATION")),
    RealTable("r_inst_innovation", RDATA, "csv/sandwich/InstInnovation.csv", "dev"),
    RealTable("r_ucla_textbooks", RDATA, "csv/openintro/ucla_textbooks_f18.csv", "dev"),
    RealTable("r_smiths", RDATA, "csv/tidyr/smiths.csv", "dev", _t(subject="PERSON")),
    RealTable("r_hotspots", RDATA, "csv/DAAG/hotspots.csv", "dev", aggregate=True),
    RealTable("r_mlc_churn", RDATA, "csv/modeldata/mlc_churn.csv", "dev"),
    RealTable("pydata_titanic", PYDATA, "datasets/titanic/train.csv", "dev", _t(Name="PERSON")),
    # development, second batch: tables of the kinds real notebooks show (name counts, products,
    # films, time series, stores, invoices, public figures), labelled before nbsec saw them
    RealTable("fte_unisex_names", FTE, "unisex-names/unisex_names_table.csv", "dev",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_top_surnames", FTE, "most-common-name/new-top-surnames.csv", "dev",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_candy", FTE, "candy-power-ranking/candy-data.csv", "dev", aggregate=True,
              commit=FTE_AT),
    RealTable("fte_fandango", FTE, "fandango/fandango_score_comparison.csv", "dev",
              commit=FTE_AT),
    RealTable("fte_births", FTE, "births/US_births_2000-2014_SSA.csv", "dev", commit=FTE_AT),
    RealTable("fte_hate_crimes", FTE, "hate-crimes/hate_crimes.csv", "dev", aggregate=True,
              commit=FTE_AT),
    RealTable("fte_congress_terms", FTE, "congress-age/congress-terms.csv", "dev",
              _t(firstname="PERSON", middlename="PERSON", lastname="PERSON",
                 birthday="DATE_TIME", state="LOCATION"), commit=FTE_AT),
    RealTable("fte_nfl_suspensions", FTE, "nfl-suspensions/nfl-suspensions-data.csv", "dev",
              _t(name="PERSON"), commit=FTE_AT),
    RealTable("fte_police_deaths", FTE, "police-deaths/all_data.csv", "dev",
              _t(person="PERSON"), commit=FTE_AT),
    RealTable("plotly_beers", PLOTLY, "beers.csv", "dev", aggregate=True, commit=PLOTLY_AT),
    RealTable("plotly_supermarket_sales", PLOTLY, "supermarket_Sales.csv", "dev",
              commit=PLOTLY_AT),
    RealTable("plotly_walmart_openings", PLOTLY, "1962_2006_walmart_store_openings.csv", "dev",
              aggregate=True, commit=PLOTLY_AT),
    RealTable("plotly_european_leaders", PLOTLY, "european_leaders.csv", "dev",
              _t(pm_name="PERSON", country_name="LOCATION"), commit=PLOTLY_AT),
    RealTable("vega_seattle_weather", VEGA, "data/seattle-weather.csv", "dev", commit=VEGA_AT),
    RealTable("vega_stocks", VEGA, "data/stocks.csv", "dev", commit=VEGA_AT),
    RealTable("mock_ag_grid", MOCK[7], "MOCK_DATA.csv", "dev",
              _t(first_name="PERSON", last_name="PERSON", email="EMAIL_ADDRESS",
                 ip_address="IP_ADDRESS"), commit="5db5b44bbe13814104b4d17c33652e18dfecc8d4"),
    # development, third batch: more kinds of tables (endorsements, player seasons, polls of
    # politicians, metropolitan areas, audiences, scripts, horoscopes, counties, indicators)
    RealTable("fte_endorsements", FTE, "endorsements-june-30/endorsements-june-30.csv", "dev",
              _t(candidate="PERSON"), commit=FTE_AT),
    RealTable("fte_raptor_players", FTE, "nba-raptor/modern_RAPTOR_by_player.csv", "dev",
              _t(player_name="PERSON"), commit=FTE_AT),
    RealTable("fte_candidate_favorables", FTE,
              "presidential-candidate-favorables-2019/favorability_polls_rv_2019.csv", "dev",
              _t(politician="PERSON"), commit=FTE_AT),
    RealTable("fte_librarians", FTE, "librarians/librarians-by-msa.csv", "dev", aggregate=True,
              commit=FTE_AT),
    RealTable("fte_police_locals", FTE, "police-locals/police-locals.csv", "dev",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_fifa_audience", FTE, "fifa/fifa_countries_audience.csv", "dev",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_tarantino", FTE, "tarantino/tarantino.csv", "dev", commit=FTE_AT),
    RealTable("plotly_hofstede", PLOTLY, "hofstede-cultural-dimensions.csv", "dev",
              aggregate=True, sep=";", commit=PLOTLY_AT),
    RealTable("plotly_nuclear_sites", PLOTLY, "Nuclear Waste Sites on American Campuses.csv",
              "dev", aggregate=True, commit=PLOTLY_AT),
    RealTable("plotly_horoscope", PLOTLY, "horoscope_data.csv", "dev", commit=PLOTLY_AT),
    RealTable("plotly_county_labour", PLOTLY, "laucnty16.csv", "dev", aggregate=True,
              commit=PLOTLY_AT),
    RealTable("plotly_country_indicators", PLOTLY, "country_indicators.csv", "dev",
              aggregate=True, commit=PLOTLY_AT),
    RealTable("plotly_earthquakes", PLOTLY, "earthquakes-23k.csv", "dev", commit=PLOTLY_AT),
    # -- held out: labelled from their headers before nbsec saw them, scored in the final run --
    RealTable("r_lahman_people", RDATA, "csv/Lahman/People.csv", "holdout",
              _t(birthCity="LOCATION", birthCountry="LOCATION", birthState="LOCATION",
                 deathCity="LOCATION", deathCountry="LOCATION", deathState="LOCATION",
                 nameFirst="PERSON", nameLast="PERSON", nameGiven="PERSON",
                 # players' birth dates: DATE_TIME as in people_sample's "Date of birth" (first
                 # labelled none, an oversight found when nbsec began to report it)
                 birthDate="DATE_TIME")),
    RealTable("r_lahman_teams", RDATA, "csv/Lahman/Teams.csv", "holdout", aggregate=True),
    RealTable("r_murders", RDATA, "csv/dslabs/murders.csv", "holdout", aggregate=True),
    RealTable("r_presidential", RDATA, "csv/ggplot2/presidential.csv", "holdout",
              _t(name="PERSON")),
    RealTable("r_mlb_players", RDATA, "csv/openintro/mlb_players_18.csv", "holdout",
              _t(name="PERSON")),
    RealTable("r_nba_players", RDATA, "csv/openintro/nba_players_19.csv", "holdout",
              _t(first_name="PERSON", last_name="PERSON")),
    RealTable("r_airports", RDATA, "csv/nycflights13/airports.csv", "holdout", aggregate=True),
    RealTable("r_airlines", RDATA, "csv/nycflights13/airlines.csv", "holdout"),
    RealTable("r_gapminder", RDATA, "csv/dslabs/gapminder.csv", "holdout", aggregate=True),
    RealTable("r_fastfood", RDATA, "csv/openintro/fastfood.csv", "holdout"),
    RealTable("r_election08", RDATA, "csv/Stat2Data/Election08.csv", "holdout",
              aggregate=True),
    RealTable("r_polls_2016", RDATA, "csv/dslabs/polls_us_election_2016.csv", "holdout",
              aggregate=True),
    RealTable("r_nyc_marathon", RDATA, "csv/openintro/nyc_marathon.csv", "holdout",
              _t(name="PERSON", country="LOCATION")),
    RealTable("r_guerry", RDATA, "csv/HistData/Guerry.csv", "holdout", aggregate=True),
    RealTable("r_hall_of_fame", RDATA, "csv/Lahman/HallOfFame.csv", "holdout"),
    RealTable("mock_people_ip", MOCK[0], "MOCK_DATA.csv", "holdout",
              _t(first_name="PERSON", last_name="PERSON", email="EMAIL_ADDRESS",
                 ip_address="IP_ADDRESS")),
    RealTable("mock_roster", MOCK[1], "MOCK_DATA.csv", "holdout",
              _t(ClientName="PERSON", EmployeeName="PERSON")),
    RealTable("mock_people_lang", MOCK[2], "MOCK_DATA.csv", "holdout",
              _t(first_name="PERSON", last_name="PERSON", email="EMAIL_ADDRESS")),
    RealTable("mock_users", MOCK[3], "MOCK_DATA.csv", "holdout",
              _t(Name="PERSON", Email__Adress="EMAIL_ADDRESS")),
    RealTable("mock_doctors", MOCK[4], "MOCK_DATA.csv", "holdout",
              _t(name="PERSON", address="LOCATION", phone="PHONE_NUMBER")),
    RealTable("mock_first_names", MOCK[5], "MOCK_DATA.csv", "holdout", _t(name="PERSON")),
    RealTable("mock_expenses", MOCK[6], "MOCK_DATA.csv", "holdout"),
    RealTable("chipotle", VIDEOS, "data/chipotle.tsv", "holdout", sep="\t"),
    RealTable("drinks_by_country", VIDEOS, "data/drinks.csv", "holdout", aggregate=True),
    RealTable("imdb_1000", VIDEOS, "data/imdb_1000.csv", "holdout", _t(actors_list="PERSON")),
    RealTable("stocks", VIDEOS, "data/stocks.csv", "holdout"),
    RealTable("titanic_test", VIDEOS, "data/titanic_test.csv", "holdout", _t(Name="PERSON")),
    RealTable("ufo_reports", VIDEOS, "data/ufo.csv", "holdout"),
    RealTable("fake_ratings", VIDEOS, "data/fake_ratings.csv", "holdout"),
    RealTable(
        "people_sample",
        SAMPLES,
        "samples/people.csv",
        "holdout",
        _t(First__Name="PERSON", Last__Name="PERSON", Email="EMAIL_ADDRESS",
           Phone="PHONE_NUMBER", Date__of__birth="DATE_TIME"),
    ),
    RealTable("meteorite_landings", SAMPLES, "samples/meteorite_landings.csv", "holdout"),
    RealTable("products_sample", SAMPLES, "samples/products.csv", "holdout"),
    # -- fresh: labelled from headers and a few values before nbsec saw them; a hold-out until
    # its mistakes were looked at, seen since -------------------------------------------------
    RealTable("fte_police_killings", FTE, "police-killings/police_killings.csv", "fresh",
              _t(name="PERSON", streetaddress="LOCATION", city="LOCATION", state="LOCATION"),
              commit=FTE_AT),
    RealTable("fte_daily_show_guests", FTE, "daily-show-guests/daily_show_guests.csv", "fresh",
              _t(Raw_Guest_List="PERSON"), commit=FTE_AT),
    RealTable("fte_biopics", FTE, "biopics/biopics.csv", "fresh",
              _t(director="PERSON", subject="PERSON", lead_actor_actress="PERSON"),
              commit=FTE_AT),
    RealTable("fte_cabinet_turnover", FTE, "cabinet-turnover/cabinet-turnover.csv", "fresh",
              _t(president="PERSON", appointee="PERSON"), commit=FTE_AT),
    RealTable("fte_congress_resignations", FTE,
              "congress-resignations/congressional_resignations.csv", "fresh",
              _t(Member="PERSON"), commit=FTE_AT),
    RealTable("fte_mad_men_performers", FTE, "mad-men/performer-scores.csv", "fresh",
              _t(Performer="PERSON"), commit=FTE_AT),
    RealTable("fte_nba_tattoos", FTE, "nba-tattoos/nba-tattoos-data.csv", "fresh",
              _t(Player__Name="PERSON"), commit=FTE_AT),
    RealTable("fte_airline_safety", FTE, "airline-safety/airline-safety.csv", "fresh",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_murder_2015", FTE, "murder_2016/murder_2015_final.csv", "fresh",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_bechdel", FTE, "bechdel/movies.csv", "fresh", commit=FTE_AT),
    RealTable("fte_college_majors", FTE, "college-majors/recent-grads.csv", "fresh",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_thanksgiving", FTE, "thanksgiving-2015/thanksgiving-2015-poll-data.csv",
              "fresh", commit=FTE_AT),
    RealTable("fte_comma_survey", FTE, "comma-survey/comma-survey.csv", "fresh", commit=FTE_AT),
    RealTable("fte_weather_kclt", FTE, "us-weather-history/KCLT.csv", "fresh", commit=FTE_AT),
    RealTable("plotly_world_gdp", PLOTLY, "2014_world_gdp_with_codes.csv", "fresh",
              aggregate=True, commit=PLOTLY_AT),
    RealTable("plotly_school_earnings", PLOTLY, "school_earnings.csv", "fresh", aggregate=True,
              commit=PLOTLY_AT),
    RealTable("plotly_ai_salaries", PLOTLY, "salaries-ai-jobs-net.csv", "fresh",
              commit=PLOTLY_AT),
    RealTable("plotly_airport_traffic", PLOTLY, "2011_february_us_airport_traffic.csv", "fresh",
              aggregate=True, commit=PLOTLY_AT),
    RealTable("plotly_officer_deaths", PLOTLY, "US-shooting-incidents.csv", "fresh",
              _t(person="PERSON", description="LOCATION", state="LOCATION",
                 state_name="LOCATION"), commit=PLOTLY_AT),
    RealTable("sns_tips", SEABORN, "tips.csv", "fresh", commit=SEABORN_AT),
    RealTable("sns_car_crashes", SEABORN, "car_crashes.csv", "fresh", aggregate=True,
              commit=SEABORN_AT),
    RealTable("sns_flights", SEABORN, "flights.csv", "fresh", commit=SEABORN_AT),
    RealTable("sns_planets", SEABORN, "planets.csv", "fresh", commit=SEABORN_AT),
    RealTable("sns_dowjones", SEABORN, "dowjones.csv", "fresh", commit=SEABORN_AT),
    RealTable("sns_glue", SEABORN, "glue.csv", "fresh", commit=SEABORN_AT),
    RealTable("vega_disasters", VEGA, "data/disasters.csv", "fresh", aggregate=True,
              commit=VEGA_AT),
    RealTable("vega_github", VEGA, "data/github.csv", "fresh", commit=VEGA_AT),
    RealTable("vega_flights_airport", VEGA, "data/flights-airport.csv", "fresh", aggregate=True,
              commit=VEGA_AT),
    RealTable("vega_us_employment", VEGA, "data/us-employment.csv", "fresh", commit=VEGA_AT),
    RealTable("sp500_constituents", SP500, "data/constituents.csv", "fresh", aggregate=True,
              commit="56509dd80619e4d8e1410c2260d68ddd3eab6068"),
    RealTable("country_codes", COUNTRY_CODES, "data/country-codes.csv", "fresh", aggregate=True,
              commit="caa72d1e0e5af8876c170bb36a9e4d64a01bba88"),
    RealTable("mock_csv_diff", MOCK[8], "MOCK_DATA.csv", "fresh",
              _t(first_name="PERSON", last_name="PERSON", email="EMAIL_ADDRESS",
                 ip_address="IP_ADDRESS"), commit="28aae8666f75fdf4557af4d30f1242a26aaa5e66"),
    RealTable("mock_street_reports", MOCK[9], "MOCK_DATA.csv", "fresh",
              commit="57f4f195357a5b59b9d2a000b7ef8429c7a1aebb"),
    # -- holdout2: a third hold-out from sources not used above, labelled from headers and a few
    # values before nbsec saw them, scored once ---------------------------------------------
    RealTable("r_oscars", RDATA, "csv/openintro/oscars.csv", "holdout2",
              _t(name="PERSON", birth_pl="LOCATION", birth_date="DATE_TIME"), commit=RDATA_AT),
    RealTable("r_us_presidents", RDATA, "csv/openintro/president.csv", "holdout2",
              _t(potus="PERSON", vpotus="PERSON"), commit=RDATA_AT),
    RealTable("r_presidents_terms", RDATA, "csv/stevedata/Presidents.csv", "holdout2",
              _t(president="PERSON"), commit=RDATA_AT),
    RealTable("r_tennis_players_time", RDATA, "csv/fivethirtyeight/tennis_players_time.csv",
              "holdout2", _t(player="PERSON"), commit=RDATA_AT),
    RealTable("r_resume_names", RDATA, "csv/AER/ResumeNames.csv", "holdout2",
              _t(name="PERSON"), commit=RDATA_AT),
    RealTable("r_dem_candidates", RDATA, "csv/fivethirtyeight/dem_candidates.csv", "holdout2",
              _t(candidate="PERSON", state="LOCATION"), commit=RDATA_AT),
    RealTable("r_stars", RDATA, "csv/dslabs/stars.csv", "holdout2", commit=RDATA_AT),
    RealTable("r_election16", RDATA, "csv/Stat2Data/Election16.csv", "holdout2",
              aggregate=True, commit=RDATA_AT),
    RealTable("r_starbucks", RDATA, "csv/openintro/starbucks.csv", "holdout2",
              commit=RDATA_AT),
    RealTable("pdsh_president_heights", PDSH, "notebooks/data/president_heights.csv",
              "holdout2", _t(name="PERSON"), commit=PDSH_AT),
    RealTable("pdsh_state_population", PDSH, "notebooks/data/state-population.csv", "holdout2",
              aggregate=True, commit=PDSH_AT),
    RealTable("pdsh_state_areas", PDSH, "notebooks/data/state-areas.csv", "holdout2",
              aggregate=True, commit=PDSH_AT),
    RealTable("pdsh_births", PDSH, "notebooks/data/births.csv", "holdout2", commit=PDSH_AT),
    RealTable("pdsh_california_cities", PDSH, "notebooks_v1/data/california_cities.csv",
              "holdout2", aggregate=True, commit=PDSH_AT),
    RealTable("pdsh_seattle_2014", PDSH, "notebooks_v1/data/Seattle2014.csv", "holdout2",
              commit=PDSH_AT),
    RealTable("ex_euro12", EXERCISES, "02_Filtering_&_Sorting/Euro12/Euro_2012_stats_TEAM.csv",
              "holdout2", aggregate=True, commit=EXERCISES_AT),
    RealTable("ex_student_mat", EXERCISES,
              "04_Apply/Students_Alcohol_Consumption/student-mat.csv", "holdout2",
              commit=EXERCISES_AT),
    RealTable("ex_apple_stock", EXERCISES, "09_Time_Series/Apple_Stock/appl_1980_2014.csv",
              "holdout2", commit=EXERCISES_AT),
    RealTable("population", POPULATION, "data/population.csv", "holdout2", aggregate=True,
              commit="425fc447a53a26c767a15a7de60c4cc2478a0595"),
    RealTable("gdp", GDP, "data/gdp.csv", "holdout2", aggregate=True,
              commit="822019c80142c162e4ca4eb1a63699ae36075078"),
    RealTable("gdp_top_economies", GDP, "data/top-economies.csv", "holdout2", aggregate=True,
              commit="822019c80142c162e4ca4eb1a63699ae36075078"),
    RealTable("fte_fight_songs", FTE, "fight-songs/fight-songs.csv", "holdout2",
              _t(writers="PERSON"), commit=FTE_AT),
    RealTable("fte_nfl_receivers", FTE, "nfl-wide-receivers/advanced-historical.csv",
              "holdout2", _t(player_name="PERSON"), commit=FTE_AT),
    RealTable("fte_nba_draft_2015", FTE, "nba-draft-2015/historical_projections.csv",
              "holdout2", _t(Player="PERSON"), commit=FTE_AT),
    RealTable("fte_hip_hop_lyrics", FTE, "hip-hop-candidate-lyrics/genius_hip_hop_lyrics.csv",
              "holdout2", _t(candidate="PERSON", artist="PERSON"), commit=FTE_AT),
    RealTable("fte_trump_lawsuits", FTE, "trump-lawsuits/trump-lawsuits.csv", "holdout2",
              _t(caseName="PERSON", plaintiff="PERSON", defendant="PERSON", judge="PERSON"),
              commit=FTE_AT),
    RealTable("fte_bob_ross", FTE, "bob-ross/elements-by-episode.csv", "holdout2",
              commit=FTE_AT),
    RealTable("fte_chess_transfers", FTE, "chess-transfers/transfers.csv", "holdout2",
              commit=FTE_AT),
    RealTable("fte_elo_blatter", FTE, "elo-blatter/elo_blatter.csv", "holdout2",
              aggregate=True, commit=FTE_AT),
    RealTable("fte_cousin_marriage", FTE, "cousin-marriage/cousin-marriage-data.csv",
              "holdout2", aggregate=True, commit=FTE_AT),
    RealTable("fte_ncaa_womens", FTE,
              "ncaa-womens-basketball-tournament/ncaa-womens-basketball-tournament-history.csv",
              "holdout2", aggregate=True, commit=FTE_AT),
    RealTable("fte_drug_use_by_age", FTE, "drug-use-by-age/drug-use-by-age.csv", "holdout2",
              commit=FTE_AT),
    RealTable("staff_birthdays", STAFF[0], "employees.csv", "holdout2",
              _t(Name="PERSON", Birthday="DATE_TIME"),
              commit="65ff91378c7c4520020bad885cfc0725e91a0432"),
    RealTable("staff_world_200", STAFF[1], "employees.csv", "holdout2",
              _t(name="PERSON", country="LOCATION", city="LOCATION",
                 telephone_number="PHONE_NUMBER"),
              commit="c131e66957c0ff6bcbc972d305581ee2f6a5b030"),
    RealTable("staff_mental_health", STAFF[1], "employees_mental_health/survey.csv",
              "holdout2", commit="c131e66957c0ff6bcbc972d305581ee2f6a5b030"),
    RealTable("customers_100", STAFF[2], "customers-100.csv", "holdout2",
              _t(First__Name="PERSON", Last__Name="PERSON", City="LOCATION", Country="LOCATION",
                 Phone__1="PHONE_NUMBER", Phone__2="PHONE_NUMBER", Email="EMAIL_ADDRESS"),
              commit="ea7302f6158ffaf79f0c2a224f7a79587ba0d510"),
)  # fmt: skip


def _read_bytes(table: RealTable, real_dir: Path | None) -> bytes | None:
    folder = table.repo.replace("/", "+")
    if real_dir is not None:
        for candidate in (real_dir / folder / table.path, real_dir / folder / "repo" / table.path):
            if candidate.is_file():
                return candidate.read_bytes()
    git_dir = MIRROR / folder / "repo"
    if (git_dir / ".git").is_dir():  # a snapshot with a work tree
        git_dir = git_dir / ".git"
    if git_dir.is_dir():
        done = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"{table.commit or 'HEAD'}:{table.path}"],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout
    return None


def load(table: RealTable, real_dir: Path | None = None) -> Any:
    """The table as a pandas frame read as text (as ``nbsec pii`` reads CSV), or ``None``."""
    import pandas as pd

    raw = _read_bytes(table, real_dir)
    if raw is None:
        return None
    return pd.read_csv(
        io.BytesIO(raw),
        sep=table.sep,
        dtype=str,
        nrows=MAX_ROWS,
        encoding="utf-8-sig",  # a byte-order mark is not part of the first column's name
        encoding_errors="replace",
    )


def truth_of(table: RealTable, frame: Any) -> dict[str, set[str]]:
    return {str(c): set(table.truth.get(str(c), frozenset())) for c in frame.columns}
